#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../../src/api/route_groups.hpp"
#include "opsdb/core/clock.hpp"
#include "support/api_fakes.hpp"

namespace opsdb {
namespace {

namespace fs = std::filesystem;

const std::string kPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; "
    "frame-ancestors 'none'";
const std::string kSecret = "the content of a file beside the assets";

// The documentation routes alone, over a directory of stand-in files the test writes.
class DocsRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("opsdb-docs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A secret beside the directory: what a traversal would try to reach.
    std::ofstream(dir_.parent_path() / "opsdb-docs-secret.txt") << kSecret;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  void write_all() {
    for (const char* name : {"operator.html", "operator.js", "operator.css", "docs.html",
                             "redoc.html", "docs-init.js", "redoc-init.js", "swagger-ui.css",
                             "swagger-ui-bundle.js", "favicon-32x32.png", "redoc.standalone.js"}) {
      write(name, std::string("content of ") + name);
    }
  }

  // Builds the routes now: the files are read once, when the routes are made.
  http::Router& router() {
    fakes_.config.docs_assets_dir = dir_.string();
    ApiServices services = fakes_.services();
    services_ = std::make_unique<ApiServices>(services);
    router_ = std::make_unique<http::Router>();
    add_docs_routes(*router_, *services_);
    return *router_;
  }

  http::Response get(const std::string& path) {
    http::Request request;
    request.method = "GET";
    request.target = path;
    request.path = path;
    std::optional<http::Response> answer;
    router_->dispatch(std::move(request), http::RequestContext{"test", "192.0.2.1"},
                      [&answer](http::Response r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value()) << path;
    return answer.value_or(http::Response{});
  }

  static std::string header(const http::Response& r, const std::string& name) {
    for (const auto& [key, value] : r.headers) {
      if (key == name) return value;
    }
    return {};
  }

  fs::path dir_;
  test::SiteFakes fakes_;
  std::unique_ptr<ApiServices> services_;
  std::unique_ptr<http::Router> router_;
};

TEST_F(DocsRoutesTest, PagesAndAssetsAreServedWithTheirTypesAndThePolicy) {
  write_all();
  router();
  struct Expected {
    const char* path;
    const char* type;
    const char* body;
  };
  for (const Expected& e : {
           Expected{"/", "text/html; charset=utf-8", "content of operator.html"},
           Expected{"/docs/assets/operator.js", "text/javascript; charset=utf-8",
                    "content of operator.js"},
           Expected{"/docs/assets/operator.css", "text/css; charset=utf-8",
                    "content of operator.css"},
           Expected{"/docs", "text/html; charset=utf-8", "content of docs.html"},
           Expected{"/redoc", "text/html; charset=utf-8", "content of redoc.html"},
           Expected{"/docs/assets/swagger-ui-bundle.js", "text/javascript; charset=utf-8",
                    "content of swagger-ui-bundle.js"},
           Expected{"/docs/assets/swagger-ui.css", "text/css; charset=utf-8",
                    "content of swagger-ui.css"},
           Expected{"/docs/assets/favicon-32x32.png", "image/png", "content of favicon-32x32.png"},
           Expected{"/docs/assets/redoc.standalone.js", "text/javascript; charset=utf-8",
                    "content of redoc.standalone.js"},
       }) {
    const auto r = get(e.path);
    EXPECT_EQ(r.status, 200) << e.path;
    EXPECT_EQ(r.content_type, e.type) << e.path;
    EXPECT_EQ(r.body, e.body) << e.path;
    EXPECT_EQ(header(r, "Content-Security-Policy"), kPolicy) << e.path;
    EXPECT_FALSE(header(r, "Cache-Control").empty()) << e.path;
  }
}

TEST_F(DocsRoutesTest, FilesAreReadOnceAtStart) {
  write_all();
  router();
  write("docs.html", "changed");
  EXPECT_EQ(get("/docs").body, "content of docs.html");
}

TEST_F(DocsRoutesTest, TraversalAndUnknownNamesAreNotFound) {
  write_all();
  write("other.js", "not on the allow-list");
  router();
  // Targets as the HTTP layer hands them over: percent-decoded, dot segments untouched.
  for (const char* path :
       {"/docs/assets/../../etc/passwd", "/docs/assets/..", "/docs/assets/../opsdb-docs-secret.txt",
        "/docs/assets/..%2F..%2Fetc%2Fpasswd", "/docs/assets/%2e%2e%2fopsdb-docs-secret.txt",
        "/docs/assets/other.js", "/docs/assets/docs.html", "/docs/assets/operator.html",
        "/docs/assets/", "/docs/assets/SWAGGER-UI-BUNDLE.JS",
        "/docs/assets/swagger-ui-bundle.js.map", "/docs/../../etc/passwd",
        "/docs/assets/./swagger-ui.css/"}) {
    const auto r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("not on the allow-list"), std::string::npos) << path;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << path;
  }
  // An unknown name within the route is answered by the documentation route, with the policy.
  EXPECT_EQ(header(get("/docs/assets/other.js"), "Content-Security-Policy"), kPolicy);
}

// A request can never cause a server error, and this one is no client's fault either: the pages
// are not installed here. 404, naming the setting.
TEST_F(DocsRoutesTest, MissingFilesMakeThePagesNotFoundNamingTheSetting) {
  write("docs.html", "page");  // the bundles are missing
  router();
  const auto docs = get("/docs");
  EXPECT_EQ(docs.status, 404);
  EXPECT_NE(docs.body.find("DOCS_ASSETS_DIR"), std::string::npos) << docs.body;
  EXPECT_NE(docs.body.find("swagger-ui-bundle.js"), std::string::npos) << docs.body;
  EXPECT_EQ(header(docs, "Content-Security-Policy"), kPolicy);
  EXPECT_EQ(get("/redoc").status, 404);
  EXPECT_EQ(get("/docs/assets/swagger-ui-bundle.js").status, 404);
}

// The operator's page needs only the project's own files, not the npm bundles; each page is
// complete or answers 404 on its own.
TEST_F(DocsRoutesTest, TheOperatorsPageStandsOrFallsWithItsOwnFiles) {
  write("operator.html", "page");
  write("operator.js", "script");
  write("operator.css", "style");
  router();
  EXPECT_EQ(get("/").status, 200);
  EXPECT_EQ(get("/docs").status, 404);

  fs::remove(dir_ / "operator.js");
  router();
  const auto page = get("/");
  EXPECT_EQ(page.status, 404);
  EXPECT_NE(page.body.find("DOCS_ASSETS_DIR"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("operator.js"), std::string::npos) << page.body;
  EXPECT_EQ(header(page, "Content-Security-Policy"), kPolicy);
  EXPECT_EQ(get("/docs/assets/operator.js").status, 404);
  EXPECT_EQ(get("/docs/assets/operator.css").status, 200);
}

TEST_F(DocsRoutesTest, AMissingDirectoryIsNoCrash) {
  fs::remove_all(dir_);
  router();
  for (const char* path : {"/", "/docs", "/redoc"}) {
    const auto r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("DOCS_ASSETS_DIR"), std::string::npos) << path << ": " << r.body;
  }
  EXPECT_EQ(get("/docs/assets/docs-init.js").status, 404);
  EXPECT_EQ(get("/docs/assets/operator.js").status, 404);
}

}  // namespace
}  // namespace opsdb
