export { CRC32_TABLES } from "./table.ts";
export { crc32Range, slicingCrc32, sliceBy16, checkCrcRange } from "./slicing.ts";
export { wasmCrc32, assembleCrc32Wasm, WASM_CRC32_WINDOW, type WasmCrc32 } from "./wasm.ts";
