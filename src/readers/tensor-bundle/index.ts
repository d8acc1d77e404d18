// Reading TensorBundles (variables.index + variables.data-*): see bundle.ts.
export {
  TensorBundle,
  type BundleEntryInfo,
  dataFilename,
  indexFilename,
  savedModelVariablesPrefix,
} from './bundle.js';
export { crc32c, maskCrc, unmaskCrc } from './crc32c.js';
