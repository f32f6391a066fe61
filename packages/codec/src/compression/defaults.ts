/**
 * Registers k07's default compression codecs (gzip and snappy) so that encoders and decoders can
 * use them. Imported for its side effect by the package index; importing it again is harmless.
 */
import { Compression, registerCompressionCodec } from "../compression.ts";
import { gzipCodec } from "./gzip.ts";
import { snappyCodec } from "./snappy.ts";

registerCompressionCodec(Compression.Gzip, gzipCodec);
registerCompressionCodec(Compression.Snappy, snappyCodec);

export { gzipCodec, snappyCodec };
