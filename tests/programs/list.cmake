# The end-to-end programs (a name is NAME.c or a directory NAME/ of sources) and where they are
# built; shared by tests/programs (builds them), tests/e2e (runs them) and benchmarks/overhead
# (which times the same twelve, listed in benchmarks/overhead/run).
set(FARMEM_PROGRAMS linked_list bst graph_bfs hashtable interp knr embedded fieldptr
    mixed_instances threads libc_interop sequential)
# Programs that are built and checked the same way but not timed: the rarer forms and libc calls
# a user may write, for coverage rather than as workloads.
set(FARMEM_CHECK_PROGRAMS forms libc_strings)
set(FARMEM_PROGRAM_DIR ${CMAKE_BINARY_DIR}/tests/programs)
