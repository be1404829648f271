# embed.cmake: compiles a text file into the binary as a C string.
# pcol_embed(OUT_C SYMBOL INPUT): writes OUT_C at configure time and again
# whenever INPUT changes (CMAKE_CONFIGURE_DEPENDS).
function(pcol_embed out_c symbol input)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
    file(READ ${input} hex HEX)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    file(WRITE ${out_c}.tmp
        "/* Generated from ${input} by cmake/embed.cmake. Do not edit. */\n"
        "const char ${symbol}[] = {${bytes}0x00};\n")
    file(COPY_FILE ${out_c}.tmp ${out_c} ONLY_IF_DIFFERENT)
endfunction()
