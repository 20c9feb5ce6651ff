# Sourced by the image scripts: buildah on the project's own storage, so that neither the
# machine's default storage (whose driver may be overlay) nor its images are touched. vfs needs
# no kernel overlay support; chroot isolation needs neither a runtime nor user namespaces.
: "${WRITEBACK_IMAGE_DIR:?}"
bh() {
  buildah --root "$WRITEBACK_IMAGE_DIR/storage" --runroot "$WRITEBACK_IMAGE_RUNROOT" --storage-driver vfs "$@"
}
