/**
 * A dataset source → its bytes and name: the user's File as it is, or the sample shipped with the studio, fetched
 * from the app's own origin. The worker's one sample fetch, for the Datasets view, Train runs and Compare.
 */
import { DatasetError, type DatasetSource, datasetSourceName, SAMPLE_DATASET } from '../data';

export async function openDatasetSource(source: DatasetSource): Promise<{ blob: Blob; name: string }> {
  const name = datasetSourceName(source);
  if (source.kind === 'file') return { blob: source.file, name };
  const url = new URL(`${import.meta.env.BASE_URL}${SAMPLE_DATASET.url}`, self.location.href);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DatasetError(name, `the sample could not be fetched (${String(error)})`);
  }
  if (!response.ok) throw new DatasetError(name, `the sample could not be fetched: the server answered ${response.status}`);
  return { blob: await response.blob(), name };
}
