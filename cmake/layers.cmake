# Helpers for the per-layer targets: which sources a layer owns, and the poisoned include
# directory that turns an adapter header included from core or domain into a compile error.

# Sets `out` to every .cpp under the given src/ folders. CONFIGURE_DEPENDS: a file added to a
# folder lands in its layer at the next build without anyone touching CMake.
function(opsdb_layer_sources out)
  set(sources)
  foreach(folder IN LISTS ARGN)
    file(GLOB_RECURSE found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${folder}/*.cpp)
    list(APPEND sources ${found})
  endforeach()
  set(${out} ${sources} PARENT_SCOPE)
endfunction()

# Fails the configure step when src/ holds a folder that no layer owns, so new code cannot
# silently fall out of the build (or into the wrong target).
function(opsdb_check_layer_folders)
  file(GLOB entries LIST_DIRECTORIES true RELATIVE ${PROJECT_SOURCE_DIR}/src
       CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*)
  foreach(entry IN LISTS entries)
    if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/src/${entry} AND NOT entry IN_LIST ARGN)
      message(FATAL_ERROR "src/${entry}/ belongs to no layer: add it to one in CMakeLists.txt")
    endif()
  endforeach()
endfunction()

# Headers of the libraries only adapters may use: the name the error message gives the library,
# then globs relative to an include root, separated by spaces.
set(OPSDB_ADAPTER_HEADERS
  "Beast boost/beast.hpp boost/beast/*.hpp boost/beast/*/*.hpp"
  "Asio boost/asio.hpp boost/asio/*.hpp boost/asio/*/*.hpp"
  "hiredis hiredis/*"
  "libpqxx pqxx/*"
  "prometheus-cpp prometheus/*.h prometheus/detail/*.h")

# Writes, under the build tree, an include directory for `layer` that mirrors the public header
# names of the libraries above with stubs that stop the compilation. Returns its path in `out`.
# Boost sits in /usr/include, always on the path, so leaving the library off a target's link
# line is not enough: the poisoned directory must come first (see opsdb_forbid_adapters).
function(opsdb_poison_directory layer out)
  set(dir ${PROJECT_BINARY_DIR}/poison/${layer})
  set(roots ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES} ${Boost_INCLUDE_DIRS}
            ${OPSDB_HIREDIS_ROOT} ${OPSDB_PQXX_ROOT})
  list(REMOVE_DUPLICATES roots)
  foreach(entry IN LISTS OPSDB_ADAPTER_HEADERS)
    string(REPLACE " " ";" parts "${entry}")
    list(POP_FRONT parts library)
    foreach(root IN LISTS roots)
      foreach(pattern IN LISTS parts)
        file(GLOB headers LIST_DIRECTORIES false RELATIVE ${root} ${root}/${pattern})
        foreach(header IN LISTS headers)
          # file(CONFIGURE) rewrites only what changed: reconfiguring rebuilds nothing.
          file(CONFIGURE OUTPUT ${dir}/${header} CONTENT
"#error \"${layer} must not include ${library}: talk to a port instead (see STYLE.md)\"\n")
        endforeach()
      endforeach()
    endforeach()
  endforeach()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()

# Puts the poisoned include directory of `layer` before every other one of `target`.
function(opsdb_forbid_adapters target layer)
  opsdb_poison_directory(${layer} dir)
  target_include_directories(${target} BEFORE PRIVATE ${dir})
endfunction()

# A precompiled header built once, in a target of its own that holds nothing else, for the
# targets that use it (target_precompile_headers(... REUSE_FROM <name>)). Those then wait for the
# header only, never for another layer's sources, so the layers compile side by side. The
# holder links what shapes the header's macros; its users must define the same ones.
function(opsdb_precompiled_header name header)
  set(source ${PROJECT_BINARY_DIR}/generated/${name}.cpp)
  file(CONFIGURE OUTPUT ${source} CONTENT "// Holds the precompiled header ${name}.\n")
  add_library(${name} STATIC ${source})
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_precompile_headers(${name} PRIVATE ${header})
endfunction()
