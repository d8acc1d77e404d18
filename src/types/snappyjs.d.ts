// snappyjs ships no type declarations; these are the two functions tfconv uses.
declare module 'snappyjs' {
  /** Throws on an invalid stream or when the stream announces more than maxLength bytes. */
  function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  function compress(uncompressed: Uint8Array): Uint8Array;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
  export { uncompress, compress };
}
