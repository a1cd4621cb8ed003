/**
 * Test helper: a Parquet file with its footer decoded, edited and written again by hyparquet-writer, the pages left
 * as they are — how the hostile-file tests make metadata that lies about the bytes it describes.
 */
import { type FileMetaData, parquetMetadata } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';

export function withFooter(bytes: Uint8Array, edit: (metadata: FileMetaData) => void): Uint8Array<ArrayBuffer> {
  const metadata = parquetMetadata(bytes);
  const dataEnd = bytes.length - 8 - metadata.metadata_length;
  // The writer looks each chunk's statistics up in the schema, which some edits break; reading needs none.
  for (const group of metadata.row_groups) for (const chunk of group.columns) delete chunk.meta_data?.statistics;
  edit(metadata);
  const writer = new ByteWriter();
  writer.appendBytes(bytes.subarray(0, dataEnd));
  writeMetadata(writer, metadata as Parameters<typeof writeMetadata>[1]);
  writer.appendBytes(new TextEncoder().encode('PAR1'));
  return new Uint8Array(writer.getBuffer());
}
