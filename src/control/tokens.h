// API tokens: 256-bit random secrets shown once; only their SHA-256 is stored.
#pragma once

#include <string>
#include <string_view>

namespace islet::control {

// A new secret: "islet_" + 43 base64url characters.
std::string generateSecret();
// Lower-case hex SHA-256 of the secret: what the store keeps and looks tokens up by.
std::string hashSecret(std::string_view secret);
// Constant-time comparison of two equal-length strings (false if lengths differ).
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace islet::control
