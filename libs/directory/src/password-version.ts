/** attributeID of unicodePwd (1.2.840.113556.1.4.90) in its compressed form, 0x9005A. */
const UNICODE_PWD_ATTID = 0x9005a;
const HEADER_BYTES = 16;
const ENTRY_BYTES = 48;

/**
 * How many times the user's password was written, as the directory itself counts it: the
 * version of `unicodePwd` in `replPropertyMetaData` (a `replPropertyMetaDataBlob`, MS-DRSR
 * 5.166: version 1, reserved, count, reserved, then 48-byte entries of attid, version,
 * originating time, invocation id and USNs). Every write raises it, even of the same password.
 * Null when the blob is missing (not readable) or malformed: then nothing can be inferred.
 */
export function passwordVersionOf(blob: Buffer | undefined): number | null {
  if (!blob || blob.length < HEADER_BYTES || blob.readUInt32LE(0) !== 1) return null;
  const count = blob.readUInt32LE(8);
  if (blob.length < HEADER_BYTES + count * ENTRY_BYTES) return null;
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * ENTRY_BYTES;
    if (blob.readUInt32LE(at) === UNICODE_PWD_ATTID) return blob.readUInt32LE(at + 4);
  }
  return 0;
}
