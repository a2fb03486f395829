// The asset graph: table references found by the lexer, dependencies, missing references,
// cycles (named as a path), selection syntax and run levels.
#include <gtest/gtest.h>

#include <map>

#include "pipeline/asset_graph.h"
#include "scan/sql_rewriter.h"

namespace silt::pipeline {
namespace {

std::vector<std::string> tables(const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& ref : scan::find_table_references(sql).tables) {
    std::string name;
    for (const auto& p : ref.parts) name += (name.empty() ? "" : ".") + p;
    out.push_back(name);
    EXPECT_EQ(sql.substr(ref.begin, ref.end - ref.begin).size(), name.size());
  }
  return out;
}

using V = std::vector<std::string>;

TEST(PipelineTableReferences, FindsTablesInFromAndJoin) {
  EXPECT_EQ(tables("SELECT a FROM orders o JOIN Customers c ON o.c = c.id LEFT JOIN raw.items USING (id)"),
            (V{"orders", "customers", "raw.items"}));
  EXPECT_EQ(tables("SELECT * FROM a, b AS x, c WHERE a.id = b.id"), (V{"a", "b", "c"}));
  EXPECT_EQ(tables("SELECT * FROM (SELECT * FROM inner_t) s, other"), (V{"inner_t", "other"}));
  EXPECT_EQ(tables("SELECT * FROM x WHERE id IN (SELECT id FROM y)"), (V{"x", "y"}));
}

TEST(PipelineTableReferences, SkipsStringsCommentsAndFunctions) {
  EXPECT_EQ(tables("SELECT 'FROM fake' AS s, \"from\" FROM real_t -- FROM commented\n/* JOIN other */"),
            (V{"real_t"}));
  EXPECT_EQ(tables("SELECT extract(year FROM d), substring(s FROM 2), trim(BOTH 'x' FROM s) FROM t"),
            (V{"t"}));
  EXPECT_EQ(tables("SELECT * FROM read_csv('x.csv') JOIN delta_scan('p', version => 1) USING (id)"), (V{}));
  EXPECT_EQ(tables("SELECT a IS DISTINCT FROM b FROM t"), (V{"t"}));
}

TEST(PipelineTableReferences, ReportsCtes) {
  auto refs = scan::find_table_references(
      "WITH recent AS (SELECT * FROM orders), top AS (SELECT * FROM recent) "
      "SELECT * FROM top");
  EXPECT_EQ(refs.ctes, (V{"recent", "top"}));
  EXPECT_EQ(refs.tables.size(), 3u);
}

Result<Project> project(const std::map<std::string, std::string>& files) {
  Project p;
  p.config.dir = "/p";
  p.config.lake = "/p/lake";
  p.config.sources["raw"] = SourceDef{"raw", "files", {{"path", "/p/data"}, {"format", "csv"}}};
  for (const auto& [file, text] : files) {
    std::string layer = file.substr(7, file.find('/', 7) - 7);  // assets/<layer>/...
    SILT_ASSIGN_OR_RETURN(auto asset, parse_asset(file, text, layer, p.config));
    p.assets.push_back(std::move(asset));
  }
  SILT_TRY(resolve_dependencies(p));
  return p;
}

const std::map<std::string, std::string> kChain{
    {"assets/bronze/customers.sql", "-- source: raw.customers\n"},
    {"assets/bronze/orders.sql", "SELECT * FROM raw.orders"},
    {"assets/silver/enriched.sql",
     "WITH o AS (SELECT * FROM orders) SELECT * FROM o JOIN customers USING (customer_id)"},
    {"assets/silver/customer_stats.sql", "SELECT count(*) AS n FROM customers"},
    {"assets/gold/revenue.sql", "SELECT sum(amount) FROM enriched"},
};

TEST(PipelineGraph, InfersDependenciesAndSources) {
  auto p = project(kChain);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->find("enriched")->upstream, (V{"customers", "orders"}));
  EXPECT_EQ(p->find("orders")->source_tables, (V{"raw.orders"}));
  EXPECT_EQ(p->find("customers")->source_tables, (V{"raw.customers"}));
  EXPECT_EQ(p->find("revenue")->upstream, (V{"enriched"}));
  auto all = select_assets(*p, {});
  ASSERT_TRUE(all.ok());
  auto levels = run_levels(*p, *all);
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0], (V{"customers", "orders"}));
  EXPECT_EQ(levels[1], (V{"customer_stats", "enriched"}));
  EXPECT_EQ(levels[2], (V{"revenue"}));
}

TEST(PipelineGraph, MissingReferencesAreNamed) {
  auto files = kChain;
  files["assets/gold/revenue.sql"] = "SELECT * FROM enriched JOIN fx_rates USING (currency)";
  auto p = project(files);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "assets/gold/revenue.sql: reads fx_rates, which is no asset or source");
  files["assets/gold/revenue.sql"] = "SELECT * FROM erp.rates";
  p = project(files);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("reads erp.rates"), std::string::npos);
  files["assets/gold/revenue.sql"] = "-- source: erp.rates\n";
  p = project(files);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("unknown source erp"), std::string::npos);
}

TEST(PipelineGraph, CyclesAreNamedAsAPath) {
  auto p = project({{"assets/s/a.sql", "SELECT * FROM c"},
                    {"assets/s/b.sql", "SELECT * FROM a"},
                    {"assets/s/c.sql", "SELECT * FROM b"},
                    {"assets/s/d.sql", "SELECT * FROM c"}});
  ASSERT_FALSE(p.ok());
  // Data flows a -> b -> c -> a; the report may start anywhere on the loop.
  const std::string& m = p.error().message();
  EXPECT_TRUE(m == "cycle: a -> b -> c -> a" || m == "cycle: b -> c -> a -> b" ||
              m == "cycle: c -> a -> b -> c")
      << m;
  auto self = project({{"assets/s/a.sql", "SELECT * FROM a"}});
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.error().message(), "cycle: a -> a");
}

V selected(const Project& p, const V& selectors) {
  auto s = select_assets(p, selectors);
  if (!s.ok()) return {"error: " + s.error().message()};
  return V(s->begin(), s->end());
}

TEST(PipelineGraph, Selection) {
  auto p = project(kChain);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(selected(*p, {"enriched"}), (V{"enriched"}));
  EXPECT_EQ(selected(*p, {"enriched+"}), (V{"enriched", "revenue"}));
  EXPECT_EQ(selected(*p, {"+enriched"}), (V{"customers", "enriched", "orders"}));
  EXPECT_EQ(selected(*p, {"customers+"}), (V{"customer_stats", "customers", "enriched", "revenue"}));
  EXPECT_EQ(selected(*p, {"layer:silver"}), (V{"customer_stats", "enriched"}));
  EXPECT_EQ(selected(*p, {"orders, customer_stats"}), (V{"customer_stats", "orders"}));
  EXPECT_EQ(selected(*p, {"revenue", "layer:bronze"}), (V{"customers", "orders", "revenue"}));
  EXPECT_EQ(selected(*p, {"nope"}), (V{"error: no asset named nope"}));
  EXPECT_EQ(selected(*p, {"layer:platinum"}), (V{"error: no asset in layer platinum"}));
  // Levels of a selection ignore unselected upstream assets.
  auto levels = run_levels(*p, {"enriched", "revenue"});
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0], (V{"enriched"}));
}

}  // namespace
}  // namespace silt::pipeline
