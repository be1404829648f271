# proto.cmake: generate the protobuf-c code for profcol's .proto files at build
# time and build it as the static library pcol_proto. Generated files live only
# in the build tree (${CMAKE_BINARY_DIR}/proto, same relative paths as the
# .proto files); include them as e.g.
#   #include "pprof/profile.pb-c.h"
#   #include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb-c.h"
# Expects PkgConfig::PROTOBUFC to exist (pkg_check_modules ... IMPORTED_TARGET).
# PCOL_PROTO_DIR may be set beforehand to use .proto files from elsewhere.

find_program(PCOL_PROTOC_C protoc-c)
if(NOT PCOL_PROTOC_C)
    message(FATAL_ERROR "profcol needs protoc-c to generate its protobuf code: "
                        "install the Debian package protobuf-c-compiler (scripts/setup.sh)")
endif()
if(NOT TARGET PkgConfig::PROTOBUFC)
    message(FATAL_ERROR "proto.cmake: PkgConfig::PROTOBUFC is missing; call "
                        "pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c) first")
endif()

if(NOT DEFINED PCOL_PROTO_DIR)
    set(PCOL_PROTO_DIR "${CMAKE_SOURCE_DIR}/proto")
endif()
set(PCOL_PROTO_OUT_DIR "${CMAKE_BINARY_DIR}/proto")

# Relative to PCOL_PROTO_DIR; also the import paths used inside the files.
set(PCOL_PROTO_FILES
    pprof/profile.proto
    opentelemetry/proto/common/v1/common.proto
    opentelemetry/proto/resource/v1/resource.proto
    opentelemetry/proto/profiles/v1development/profiles.proto
    opentelemetry/proto/collector/profiles/v1development/profiles_service.proto
    pyroscope_push.proto
)

# Every generated file depends on all the .proto files: a change to an imported
# file can change the code generated for its importers.
set(_pcol_proto_all "")
foreach(_rel IN LISTS PCOL_PROTO_FILES)
    list(APPEND _pcol_proto_all "${PCOL_PROTO_DIR}/${_rel}")
endforeach()

set(_pcol_proto_srcs "")
set(_pcol_proto_hdrs "")
foreach(_rel IN LISTS PCOL_PROTO_FILES)
    string(REGEX REPLACE "\\.proto$" "" _stem "${_rel}")
    get_filename_component(_subdir "${_rel}" DIRECTORY)
    set(_c "${PCOL_PROTO_OUT_DIR}/${_stem}.pb-c.c")
    set(_h "${PCOL_PROTO_OUT_DIR}/${_stem}.pb-c.h")
    add_custom_command(
        OUTPUT "${_c}" "${_h}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${PCOL_PROTO_OUT_DIR}/${_subdir}"
        COMMAND "${PCOL_PROTOC_C}" "--c_out=${PCOL_PROTO_OUT_DIR}"
                -I "${PCOL_PROTO_DIR}" "${PCOL_PROTO_DIR}/${_rel}"
        DEPENDS "${PCOL_PROTO_DIR}/${_rel}" ${_pcol_proto_all}
        COMMENT "protoc-c ${_rel}"
        VERBATIM)
    list(APPEND _pcol_proto_srcs "${_c}")
    list(APPEND _pcol_proto_hdrs "${_h}")
endforeach()

# Generated code: default warnings only, never -Werror (it is not ours).
add_library(pcol_proto STATIC ${_pcol_proto_srcs} ${_pcol_proto_hdrs})
target_include_directories(pcol_proto PUBLIC "${PCOL_PROTO_OUT_DIR}")
target_link_libraries(pcol_proto PUBLIC PkgConfig::PROTOBUFC)
target_compile_definitions(pcol_proto PRIVATE _POSIX_C_SOURCE=200809L)
set_target_properties(pcol_proto PROPERTIES
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF
    POSITION_INDEPENDENT_CODE ON)
