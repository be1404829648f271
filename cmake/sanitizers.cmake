# sanitizers.cmake: -DPCOL_SANITIZE=address;undefined builds everything with
# the named sanitizers (CI's second build).
set(PCOL_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address;undefined")
if(PCOL_SANITIZE)
    string(REPLACE ";" "," _san "${PCOL_SANITIZE}")
    add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer)
    add_link_options(-fsanitize=${_san})
endif()
