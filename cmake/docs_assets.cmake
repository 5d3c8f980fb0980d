# The server's web pages (src/api/docs_routes.cpp): the operator's page (GET /, plain files of
# web/ that need nothing installed) and the API documentation's pages (GET /docs, GET /redoc):
# the project's own pages and start-up scripts from web/, and the bundles of swagger-ui-dist and
# redoc from web/node_modules (installed from the npm registry, pinned by
# web/package-lock.json, by scripts/setup.sh). Target docs_assets copies exactly the files the server serves into
# <build>/web, where the server finds them beside its binary; `cmake --install` puts them into
# share/ops-db-api/web.
#
# Included from CMakeLists.txt it defines the target; run with `cmake -P` it is the copy step
# itself. A file that is missing (web/node_modules not installed) is reported and skipped, so
# the build goes on: the server then answers the pages that need it with 404 and says which
# files it lacks.

set(OPSDB_DOCS_ASSET_FILES
  web/operator.html
  web/operator.js
  web/operator.css
  web/docs.html
  web/docs-init.js
  web/redoc.html
  web/redoc-init.js
  web/node_modules/swagger-ui-dist/swagger-ui.css
  web/node_modules/swagger-ui-dist/swagger-ui-bundle.js
  web/node_modules/swagger-ui-dist/favicon-32x32.png
  web/node_modules/redoc/bundles/redoc.standalone.js
)

if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DSOURCE_DIR=... -DOUTPUT_DIR=... [-DREQUIRED=ON] -P docs_assets.cmake
  file(MAKE_DIRECTORY "${OUTPUT_DIR}")
  set(missing "")
  foreach(file IN LISTS OPSDB_DOCS_ASSET_FILES)
    if(EXISTS "${SOURCE_DIR}/${file}")
      get_filename_component(name "${file}" NAME)
      # copy_if_different keeps the time stamps of unchanged files (and the install step quiet).
      execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
                              "${SOURCE_DIR}/${file}" "${OUTPUT_DIR}/${name}"
                      COMMAND_ERROR_IS_FATAL ANY)
    else()
      list(APPEND missing "${file}")
    endif()
  endforeach()
  if(missing AND REQUIRED)
    message(FATAL_ERROR "docs_assets: missing ${missing}; run npm ci --prefix web")
  elseif(missing)
    message(WARNING "docs_assets: missing ${missing}; run scripts/setup.sh (npm ci --prefix web)"
                    " - /docs and /redoc will answer 404")
  endif()
  return()
endif()

set(OPSDB_DOCS_ASSETS_DIR ${CMAKE_BINARY_DIR}/web)
# Runs at every build: a handful of copy_if_different calls, and it notices a new npm ci.
add_custom_target(docs_assets ALL
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUTPUT_DIR=${OPSDB_DOCS_ASSETS_DIR}
          -P ${CMAKE_CURRENT_LIST_FILE}
  COMMENT "Copying the web pages into ${OPSDB_DOCS_ASSETS_DIR}"
  VERBATIM)
# The server finds its pages beside it in every build that makes it (Dockerfile, tests).
add_dependencies(ops-db-api docs_assets)
