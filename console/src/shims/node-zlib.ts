/** Browser stand-in for `node:zlib`: the verifier never inflates a status list, so these only say so. */
export function gzipSync(): never {
  throw new Error('node:zlib is not available in the console (status lists are not built in the browser)');
}
export function gunzipSync(): never {
  throw new Error('node:zlib is not available in the console (status lists are not read in the browser)');
}
export default { gzipSync, gunzipSync };
