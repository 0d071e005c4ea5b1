# Where llmsweep's llama.cpp comes from, in order of precedence:
#   -DLLMSWEEP_SYSTEM_LLAMA=ON          an installed llama.cpp, found with find_package(llama)
#   -DLLMSWEEP_LLAMA_SOURCE=/path       a llama.cpp source tree, built here (CPU backend unless told otherwise)
#   default                             third_party/llama.cpp, the pinned source (scripts/fetch-llama.sh)
option(LLMSWEEP_SYSTEM_LLAMA "Use an installed llama.cpp (find_package(llama))" OFF)
set(LLMSWEEP_LLAMA_SOURCE "${PROJECT_SOURCE_DIR}/third_party/llama.cpp"
    CACHE PATH "llama.cpp source tree to build llmsweep against")

# llmsweep links this one target, whichever way llama.cpp was found.
add_library(llmsweep_llama INTERFACE)

if(LLMSWEEP_SYSTEM_LLAMA)
    find_package(llama REQUIRED)
    target_link_libraries(llmsweep_llama INTERFACE llama ggml::ggml)
    # Its mtmd, where it installed one: a vision-language model's images (--image-size); without it, they fail
    # their points saying so.
    find_library(LLMSWEEP_MTMD_LIBRARY mtmd)
    find_path(LLMSWEEP_MTMD_INCLUDE mtmd.h)
    if(LLMSWEEP_MTMD_LIBRARY AND LLMSWEEP_MTMD_INCLUDE)
        target_link_libraries(llmsweep_llama INTERFACE "${LLMSWEEP_MTMD_LIBRARY}")
        target_include_directories(llmsweep_llama INTERFACE "${LLMSWEEP_MTMD_INCLUDE}")
        target_compile_definitions(llmsweep_llama INTERFACE LLMSWEEP_HAS_MTMD=1)
    endif()
    # An RPATH (not RUNPATH) also finds libggml's own dependencies in a prefix outside the loader's path.
    target_link_options(llmsweep_llama INTERFACE "LINKER:--disable-new-dtags")
    set(LLMSWEEP_LLAMA_ORIGIN "installed (${llama_DIR})")
    return()
endif()

if(NOT EXISTS "${LLMSWEEP_LLAMA_SOURCE}/include/llama.h")
    message(FATAL_ERROR
        "llama.cpp source not found at ${LLMSWEEP_LLAMA_SOURCE}.\n"
        "Run scripts/fetch-llama.sh to fetch the pinned version, pass -DLLMSWEEP_LLAMA_SOURCE=/path/to/llama.cpp, "
        "or -DLLMSWEEP_SYSTEM_LLAMA=ON to use an installed one.")
endif()

# One static binary: the worker role is the same executable, so nothing has to be found at run time.
set(BUILD_SHARED_LIBS OFF)
set(LLAMA_BUILD_COMMON ON)    # needed by llama-bench only; EXCLUDE_FROM_ALL keeps it out of the default build
set(LLAMA_BUILD_TOOLS ON)
# The RPC backend, so that a sweep can place layers on llama.cpp's rpc-server (--rpc, as llama-bench -rpc);
# the tests run that server (ggml-rpc-server) from the same source on 127.0.0.1.
set(GGML_RPC ON)
# llama-server, for `run --mode server`: built from the same source, without its web UI (whose build would
# download prebuilt assets).
set(LLAMA_BUILD_SERVER ON)
foreach(off LLAMA_BUILD_TESTS LLAMA_BUILD_EXAMPLES LLAMA_BUILD_APP LLAMA_BUILD_UI
            LLAMA_OPENSSL LLAMA_ALL_WARNINGS GGML_ALL_WARNINGS)
    set(${off} OFF)
endforeach()
set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)

# ggml's AMX kernels abort with SIGILL (an unconfigured tile) on some hosts whose CPU advertises AMX, virtual
# machines among them, so the native build leaves AMX out unless asked for.
option(LLMSWEEP_GGML_AMX "Let the native CPU build use ggml's AMX kernels where the CPU advertises AMX" OFF)
if(NOT LLMSWEEP_GGML_AMX)
    include(CheckCCompilerFlag)
    check_c_compiler_flag(-mno-amx-tile LLMSWEEP_HAS_MNO_AMX)
    if(LLMSWEEP_HAS_MNO_AMX)
        string(APPEND CMAKE_C_FLAGS " -mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
        string(APPEND CMAKE_CXX_FLAGS " -mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
    endif()
endif()   # let the plain variables above win over llama.cpp's option() defaults

add_subdirectory("${LLMSWEEP_LLAMA_SOURCE}" "${CMAKE_BINARY_DIR}/llama.cpp" EXCLUDE_FROM_ALL)
# libllama's two hundred sources (most of them one model architecture each, every one including the same heavy
# headers) compile in batches of 16 where the source is the pinned one, whose batches are known to compile: a
# first build of the library took 2 min 3 s instead of 5 min 22 s on 2 cores. gemma4.cpp defines a static
# function gemma3n.cpp defines too, and compiles alone. Another llama.cpp's sources may collide elsewhere, so a
# source given with -DLLMSWEEP_LLAMA_SOURCE compiles file by file unless -DLLMSWEEP_LLAMA_UNITY_BUILD=ON. The choice
# is made at each configure (not kept in the cache), so that a build folder pointed at another source follows it.
if(DEFINED LLMSWEEP_LLAMA_UNITY_BUILD)
    set(llmsweep_llama_batches ${LLMSWEEP_LLAMA_UNITY_BUILD})
elseif(LLMSWEEP_LLAMA_SOURCE STREQUAL "${PROJECT_SOURCE_DIR}/third_party/llama.cpp")
    set(llmsweep_llama_batches ON)
else()
    set(llmsweep_llama_batches OFF)
endif()
if(llmsweep_llama_batches)
    set_target_properties(llama PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 16)
    set_source_files_properties("${LLMSWEEP_LLAMA_SOURCE}/src/models/gemma4.cpp" TARGET_DIRECTORY llama
                                PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
endif()
# mtmd, llama.cpp's multimodal library: a vision-language model's mmproj and its images (--mmproj, --image-size).
# Its fifty sources compile in batches, as llmsweep's layers do, so that the tool's first build stays short.
set_target_properties(mtmd PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 16)
# The helpers are a library of their own that may not see mtmd's internal headers: each compiles alone.
file(GLOB llmsweep_mtmd_helpers "${LLMSWEEP_LLAMA_SOURCE}/tools/mtmd/mtmd-helper*.cpp")
set_source_files_properties(${llmsweep_mtmd_helpers} TARGET_DIRECTORY mtmd PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
target_link_libraries(llmsweep_llama INTERFACE llama ggml mtmd)
target_compile_definitions(llmsweep_llama INTERFACE LLMSWEEP_HAS_MTMD=1)
set(LLMSWEEP_LLAMA_ORIGIN "source (${LLMSWEEP_LLAMA_SOURCE})")
