# farnet: the runtime's network client (far/net.h): connections, pipelining, batching, sharding,
# waiting. See rt/net_internal.h for how its files divide the work.
add_library(farnet STATIC
  ${CMAKE_CURRENT_LIST_DIR}/net_open.c
  ${CMAKE_CURRENT_LIST_DIR}/net_send.c
  ${CMAKE_CURRENT_LIST_DIR}/net_recv.c
  ${CMAKE_CURRENT_LIST_DIR}/net_direct.c
  ${CMAKE_CURRENT_LIST_DIR}/net_wait.c
  ${CMAKE_CURRENT_LIST_DIR}/net_spin.c
  ${CMAKE_CURRENT_LIST_DIR}/net_poller.c
  ${CMAKE_CURRENT_LIST_DIR}/net_ops.c
  ${CMAKE_CURRENT_LIST_DIR}/net_batch.c
  ${CMAKE_CURRENT_LIST_DIR}/net_error.c)
target_include_directories(farnet PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(farnet PUBLIC farwire Threads::Threads)
set_target_properties(farnet PROPERTIES POSITION_INDEPENDENT_CODE ON)
