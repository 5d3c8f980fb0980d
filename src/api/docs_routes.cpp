#include <spdlog/spdlog.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

#include "route_groups.hpp"

namespace opsdb {
namespace {

using namespace route_names;
namespace fs = std::filesystem;

// The pages run the bundles from this server only: every script, style, font, image and fetch
// comes from 'self', so a bundle that would load hosted assets (ReDoc's fonts and logo) cannot
// reach the network. connect-src 'self' also admits the operator's page's WebSocket to
// /ws/events: CSP Level 3 matches ws: and wss: of the page's own host and port to 'self'.
// What goes beyond plain 'self', and why:
// - style-src 'unsafe-inline': ReDoc (styled-components) inserts <style> elements and Swagger
//   UI sets style attributes; neither runs without it. Scripts stay 'self' only.
// - img-src/font-src data:: both bundles inline their icons (and ReDoc fonts) as data: URLs.
// - worker-src blob:: ReDoc's search index runs in a worker created from a blob: URL.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; "
    "frame-ancestors 'none'";

// A page and the files it needs; the names are the whole allow-list of what is served.
struct Page {
  const char* pattern;
  const char* html;
  std::array<const char*, 4> assets;  // empty names are unused slots
  const char* summary;
};

const std::array kPages{
    Page{"/",
         "operator.html",
         {"operator.js", "operator.css", "", ""},
         "The operator's page: health, buffer, replication lag and dead letters, live"},
    Page{"/docs",
         "docs.html",
         {"swagger-ui.css", "swagger-ui-bundle.js", "docs-init.js", "favicon-32x32.png"},
         "Interactive API documentation (Swagger UI) of /openapi.json"},
    Page{"/redoc",
         "redoc.html",
         {"redoc.standalone.js", "redoc-init.js", "", ""},
         "API reference (ReDoc) of /openapi.json"},
};

std::string content_type_of(const fs::path& name) {
  static const std::map<std::string, std::string> kTypes{{".html", "text/html; charset=utf-8"},
                                                         {".js", "text/javascript; charset=utf-8"},
                                                         {".css", "text/css; charset=utf-8"},
                                                         {".png", "image/png"},
                                                         {".svg", "image/svg+xml"},
                                                         {".json", "application/json"}};
  auto it = kTypes.find(name.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

// Where the pages are when DOCS_ASSETS_DIR is empty: beside the binary, as the build tree has
// them (`<build>/web`), else as installed (`<prefix>/share/ops-db-api/web`, the image's too).
fs::path default_assets_dir() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return "web";
  const fs::path beside = exe.parent_path() / "web";
  if (fs::is_directory(beside, error)) return beside;
  return exe.parent_path().parent_path() / "share" / "ops-db-api" / "web";
}

/// The files of the pages, read once at start: requests are answered from memory, and only
/// names of the allow-list can ever be answered (no path from a request reaches the file
/// system).
class DocsAssets {
 public:
  explicit DocsAssets(fs::path dir) : dir_(std::move(dir)) {
    for (const Page& page : kPages) {
      load(page.html);
      for (const char* asset : page.assets) {
        if (*asset != '\0') load(asset);
      }
    }
    if (!missing_.empty()) {
      std::string names;
      for (const auto& name : missing_) names += (names.empty() ? "" : ", ") + name;
      spdlog::warn(
          "Web pages incomplete: {} missing in DOCS_ASSETS_DIR={} (the pages that need them, of "
          "/, /docs and /redoc, answer 404 until the server restarts with them; build target "
          "docs_assets)",
          names, dir_.string());
    }
  }

  /// The file, or null when it is not on the allow-list or could not be read.
  const http::Response* file(const std::string& name) const {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : &it->second;
  }

  /// Names `page` needs that could not be read.
  std::vector<std::string> missing_for(const Page& page) const {
    std::vector<std::string> missing;
    if (!file(page.html)) missing.emplace_back(page.html);
    for (const char* asset : page.assets) {
      if (*asset != '\0' && !file(asset)) missing.emplace_back(asset);
    }
    return missing;
  }

  const fs::path& dir() const { return dir_; }

 private:
  void load(const std::string& name) {
    std::error_code error;
    std::ifstream in;
    // A directory of the name would open, then read as nothing.
    if (fs::is_regular_file(dir_ / name, error)) in.open(dir_ / name, std::ios::binary);
    std::ostringstream body;
    if (in) body << in.rdbuf();
    if (!in.is_open() || !in || in.bad()) {
      missing_.push_back(name);
      return;
    }
    http::Response response;
    response.content_type = content_type_of(name);
    response.body = std::move(body).str();
    // Pages are small and name the assets: always revalidated, so an upgrade shows at once.
    // The assets' names carry no version, so they are kept for an hour only.
    const bool page = name.ends_with(".html");
    response.headers.emplace_back("Cache-Control", page ? "no-cache" : "public, max-age=3600");
    files_.emplace(name, std::move(response));
  }

  fs::path dir_;
  std::map<std::string, http::Response> files_;
  std::vector<std::string> missing_;
};

http::Response with_policy(http::Response response) {
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

http::Response page_response(const DocsAssets& assets, const Page& page) {
  const auto missing = assets.missing_for(page);
  if (missing.empty()) return with_policy(*assets.file(page.html));
  // Not a server error: no request can make this installation serve pages it does not have, and
  // the start-up log already told the operator.
  return with_policy(
      http::error_response(ApiError(ErrorKind::not_found,
                                    std::string("the page is not installed: DOCS_ASSETS_DIR (") +
                                        assets.dir().string() + ") lacks its files",
                                    {{"setting", "DOCS_ASSETS_DIR"}, {"missing", missing}})));
}

}  // namespace

void add_docs_routes(http::Router& router, const ApiServices& services) {
  const std::string& configured = services.config.docs_assets_dir;
  auto assets = std::make_shared<const DocsAssets>(configured.empty() ? default_assets_dir()
                                                                      : fs::path(configured));
  for (const Page& page : kPages) {
    router.add(
        {.method = "GET",
         .pattern = page.pattern,
         .role = Role::open,
         .handler = [assets, &page](const RequestContext&, const Request&, const PathParams&,
                                    Respond respond) { respond(page_response(*assets, page)); },
         .success_status = 200,
         .summary = page.summary,
         .response_shape = "html_page"});
  }
  router.add(
      {.method = "GET",
       .pattern = "/docs/assets/{file}",
       .role = Role::open,
       .handler =
           [assets](const RequestContext&, const Request&, const PathParams& p, Respond respond) {
             const std::string& name = p.at("file");
             const http::Response* file = name.ends_with(".html") ? nullptr : assets->file(name);
             if (file == nullptr) {
               return respond(with_policy(
                   http::error_response(ApiError(ErrorKind::not_found, "no page asset " + name))));
             }
             respond(with_policy(*file));
           },
       .success_status = 200,
       .summary = "A script, style or image of the operator's and documentation pages",
       .response_shape = "docs_asset"});
}

}  // namespace opsdb
