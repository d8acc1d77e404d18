// Types for modules the tfconv build plugin provides. Add to tsconfig "types": ["tfconv/client"]
// (or `/// <reference types="tfconv/client" />`). TypeScript matches one wildcard, so put
// `tflite` last when an import has options: './models/kws?quantize=dynamic&tflite'.

/** `import url from './models/kws?tflite'`: the URL of the converted, emitted .tflite. */
declare module '*?tflite' {
  const url: string;
  export default url;
}
declare module '*&tflite' {
  const url: string;
  export default url;
}
/** The plugin's `models` list: URL of each converted model by name. */
declare module 'tfconv/models' {
  const models: Record<string, string>;
  export default models;
}
