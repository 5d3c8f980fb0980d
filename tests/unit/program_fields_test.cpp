#include <gtest/gtest.h>

#include "opsdb/core/error.hpp"
#include "opsdb/query/program_catalog.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;

std::string refusal(const Json& body, bool creating) {
  try {
    parse_program_fields(body, creating);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_request);
    return e.what();
  }
  return "";
}

TEST(ProgramFields, ACreateNeedsANameAndAnUpdateChangesOnlyWhatItGives) {
  const auto created = parse_program_fields({{"name", "Deep fields"}, {"short_name", "DF"}}, true);
  EXPECT_EQ(*created.name, "Deep fields");
  EXPECT_EQ(**created.short_name, "DF");
  EXPECT_FALSE(created.description) << "not given";

  const auto cleared = parse_program_fields({{"description", nullptr}}, false);
  EXPECT_FALSE(cleared.name);
  ASSERT_TRUE(cleared.description) << "given";
  EXPECT_FALSE(*cleared.description) << "given as null: cleared";
}

TEST(ProgramFields, BadBodiesAreRefusedNamingTheField) {
  EXPECT_NE(refusal(Json::object(), true).find("name"), std::string::npos);
  EXPECT_NE(refusal(Json::object(), false).find("nothing to change"), std::string::npos);
  EXPECT_NE(refusal({{"name", ""}}, true).find("name"), std::string::npos);
  EXPECT_NE(refusal({{"name", nullptr}}, true).find("name"), std::string::npos);
  EXPECT_NE(refusal({{"name", std::string(201, 'x')}}, true).find("name"), std::string::npos);
  EXPECT_NE(refusal({{"name", "a"}, {"short_name", 3}}, true).find("short_name"),
            std::string::npos);
  EXPECT_NE(refusal({{"name", "a"}, {"owner", "b"}}, true).find("owner"), std::string::npos);
  EXPECT_NE(refusal(Json::array(), true).find("object"), std::string::npos);
}

}  // namespace
}  // namespace opsdb
