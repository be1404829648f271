# deps.cmake: every external library, from Debian packages (scripts/setup.sh
# installs them). Each is an imported pkg-config target.
find_package(PkgConfig REQUIRED)
foreach(dep
        "UV libuv"
        "NGHTTP2 libnghttp2"
        "YAML yaml-0.1"
        "PROTOBUFC libprotobuf-c"
        "OPENSSL openssl"
        "ZLIB zlib"
        "DEFLATE libdeflate"
        "ZSTD libzstd")
    string(REPLACE " " ";" pair "${dep}")
    list(GET pair 0 var)
    list(GET pair 1 mod)
    pkg_check_modules(${var} IMPORTED_TARGET ${mod})
    if(NOT ${var}_FOUND)
        message(FATAL_ERROR "profcol needs ${mod}: run scripts/setup.sh to install the Debian packages")
    endif()
endforeach()

# llhttp: Debian's node-llhttp ships the generated C sources but no library.
# Build them as our own static target, with relaxed warnings (not our code).
find_path(LLHTTP_INCLUDE_DIR llhttp.h PATHS /usr/share/include/llhttp /usr/include/llhttp)
find_file(LLHTTP_SRC_LLHTTP llhttp.c PATHS /usr/share/llhttp NO_DEFAULT_PATH)
find_file(LLHTTP_SRC_API api.c PATHS /usr/share/llhttp NO_DEFAULT_PATH)
find_file(LLHTTP_SRC_HTTP http.c PATHS /usr/share/llhttp NO_DEFAULT_PATH)
if(NOT LLHTTP_INCLUDE_DIR OR NOT LLHTTP_SRC_LLHTTP OR NOT LLHTTP_SRC_API OR NOT LLHTTP_SRC_HTTP)
    message(FATAL_ERROR "profcol needs llhttp sources: install the Debian package node-llhttp (scripts/setup.sh)")
endif()
add_library(pcol_llhttp STATIC ${LLHTTP_SRC_LLHTTP} ${LLHTTP_SRC_API} ${LLHTTP_SRC_HTTP})
target_include_directories(pcol_llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
target_compile_options(pcol_llhttp PRIVATE -w)
set_target_properties(pcol_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON)
