# warnings.cmake: strict warnings for profcol's own code only (never for
# generated protobuf-c code or llhttp).
function(pcol_strict target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
        -Wno-missing-field-initializers)
endfunction()
