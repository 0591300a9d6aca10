# Warnings for the project's own targets (not for generated code).
function(ap_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
    -Wno-missing-field-initializers)
endfunction()
