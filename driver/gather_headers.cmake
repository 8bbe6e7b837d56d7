# Copies the headers of RUNTIME_DIR and PLUGIN_DIR into OUT; file(COPY) skips up-to-date files.
foreach(dir ${RUNTIME_DIR} ${PLUGIN_DIR})
  file(GLOB headers ${dir}/*.h)
  file(COPY ${headers} DESTINATION ${OUT})
endforeach()
