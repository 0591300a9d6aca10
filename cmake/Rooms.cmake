# Rooms: each library target sees only the headers of its own directory and
# of the targets it links, so an include that runs up the layering (say
# aggregator/records/ including aggregator/schedule/) fails to build.
#
# No target puts the source root on its include path. Instead each room's
# directory is linked (a symlink, made at configure time) into an include
# root of its own under the build tree, which the target exports PUBLIC:
#   build/rooms/<target>/aggregator/records -> <source>/aggregator/records
# so "aggregator/records/keys.h" resolves for ap_agg_records and whatever
# links it, and for nothing else.

# ap_room(TARGET DIRS dir... [FILES file...]): exports `dir`s (whole
# directories) and single `file`s (headers of a directory shared with other
# rooms), relative to the source root, to `TARGET` and its dependents.
function(ap_room target)
  cmake_parse_arguments(PARSE_ARGV 1 ROOM "" "" "DIRS;FILES")
  set(root ${PROJECT_BINARY_DIR}/rooms/${target})
  foreach(path IN LISTS ROOM_DIRS ROOM_FILES)
    get_filename_component(parent ${root}/${path} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${path} ${root}/${path} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PUBLIC ${root})
endfunction()
