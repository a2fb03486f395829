// 10^n as 128-bit integers for n in 0..38: the bounds of DECIMAL(w, s) values stored as scaled
// integers (|unscaled| < 10^w), shared by the readers' decimal parsing and the chunk appender.
#pragma once

namespace silt {

struct PowersOfTen {
  __int128 p[39];
  constexpr PowersOfTen() : p() {
    p[0] = 1;
    for (int i = 1; i < 39; i++) p[i] = p[i - 1] * 10;
  }
};
inline constexpr PowersOfTen kPowersOfTen;

}  // namespace silt
