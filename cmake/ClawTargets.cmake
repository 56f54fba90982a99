# How claw's targets are declared: the layers of src/ (docs/architecture.md, "Layers"), the one
# precompiled LibTorch header they all share, and the optimisation level each kind of code gets.

# claw_layer(NAME [DEPENDS LAYER...] [LINK LIB...] SOURCES FILE...)
#
# The static library claw_NAME from src/NAME. It compiles with an include path that holds only
# src/NAME and, through DEPENDS, the folders of the layers below it: each layer's include root is
# a directory in the build tree with one link in it, NAME -> src/NAME. So `#include "study/..."`
# from src/model fails to compile ("No such file or directory") instead of waiting for a review.
# What sits above the layers (tests, benchmarks, tools, fuzz targets) links claw_cli or
# claw_study and so sees every layer it links.
function(claw_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPENDS;LINK;SOURCES")
  set(target claw_${name})
  add_library(${target} STATIC ${arg_SOURCES})
  set(include_root ${PROJECT_BINARY_DIR}/layers/${name})
  file(MAKE_DIRECTORY ${include_root})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${name} ${include_root}/${name} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${include_root})
  foreach(dependency IN LISTS arg_DEPENDS)
    if(NOT TARGET claw_${dependency})
      message(FATAL_ERROR "layer ${name} depends on ${dependency}, which is not declared before it")
    endif()
    target_link_libraries(${target} PUBLIC claw_${dependency})
  endforeach()
  target_link_libraries(${target} PUBLIC ${arg_LINK})
  claw_batched(${target})
endfunction()

# LibTorch's headers take seconds to parse in every file that includes them. claw_model compiles
# them once into a precompiled header, and every other target that sees LibTorch reuses that one
# file instead of building its own copy. GCC accepts it across -O1/-O3 (both define __OPTIMIZE__).
function(claw_use_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM claw_model)
endfunction()

# Every layer compiles in unity batches: most of a file's compile time is spent before its own
# code, loading LibTorch's precompiled header (about 3 s) and generating the same inline
# functions of LibTorch, nlohmann::json and the standard library, and a batch pays for them once.
# Touching a file rebuilds its batch.
#
# claw_batched(TARGET [BATCH N]): N files per unity batch (default 8), at the build type's flags.
function(claw_batched target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "BATCH" "")
  if(NOT arg_BATCH)
    set(arg_BATCH 8)
  endif()
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${arg_BATCH})
endfunction()

# Code whose speed does not matter (command-line glue, reports, tests, benchmark drivers) is also
# built at -O1; the hot paths (model, compress, eval, recover, text, ...) keep the build type's
# flags (-O3 in Release).
#
# claw_glue_code(TARGET [BATCH N]): as claw_batched, at -O1.
function(claw_glue_code target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "BATCH" "")
  claw_batched(${target} BATCH ${arg_BATCH})
  target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O1>)
endfunction()
