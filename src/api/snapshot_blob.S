  .section .rodata
  .global islet_snapshot_start
  .global islet_snapshot_end
  .balign 16
islet_snapshot_start:
  .incbin SNAPSHOT_PATH
islet_snapshot_end:
  .section .note.GNU-stack,"",@progbits
