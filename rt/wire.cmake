# farwire: the wire protocol codec (docs/protocol.md), linked by the network client and farmemd.
add_library(farwire STATIC
  ${CMAKE_CURRENT_LIST_DIR}/wire_buf.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_request.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_reply.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_mp.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_decode_request.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_decode_reply.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_list.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_reader.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_send.c
  ${CMAKE_CURRENT_LIST_DIR}/wire_status.c)
target_include_directories(farwire PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(farwire PUBLIC PkgConfig::MSGPACK)
set_target_properties(farwire PROPERTIES POSITION_INDEPENDENT_CODE ON)
