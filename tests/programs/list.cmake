# The end-to-end programs (a name is NAME.c or a directory NAME/ of sources) and where they are
# built; shared by tests/programs (builds them), tests/e2e (runs them) and benchmarks/overhead.
set(FARMEM_PROGRAMS linked_list bst graph_bfs hashtable interp knr embedded fieldptr
    mixed_instances threads libc_interop sequential)
set(FARMEM_PROGRAM_DIR ${CMAKE_BINARY_DIR}/tests/programs)
