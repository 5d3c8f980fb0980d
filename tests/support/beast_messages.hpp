#pragma once

// What the test clients that speak HTTP through Beast share (included by their .cpp files only:
// the headers tests include stay free of Beast).

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <map>
#include <string>

#include "http_client.hpp"

namespace opsdb::test {

/// Sets `headers` on `request`, and the default Authorization unless they name one; an empty
/// Authorization among them sends none.
template <class Fields>
void set_request_headers(boost::beast::http::header<true, Fields>& request,
                         const std::map<std::string, std::string>& headers) {
  bool named = false;
  for (const auto& [name, value] : headers) {
    const bool authorization = boost::beast::iequals(name, "authorization");
    named = named || authorization;
    if (!value.empty() || !authorization) request.set(name, value);
  }
  if (!named && !default_authorization().empty()) {
    request.set(boost::beast::http::field::authorization, default_authorization());
  }
}

/// A response as the tests read it: status, body, header names lower-cased.
inline HttpResult to_http_result(
    const boost::beast::http::response<boost::beast::http::string_body>& response) {
  HttpResult result;
  result.status = static_cast<int>(response.result_int());
  result.body = response.body();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  return result;
}

}  // namespace opsdb::test
