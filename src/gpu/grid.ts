/**
 * Dispatch-size math shared by kernels. A 1-D grid of `n` threads larger than 65,535 workgroups is folded
 * into x × y; WGSL recovers the linear index as `gid.x + gid.y * num_workgroups.x * WORKGROUP_SIZE`.
 */
import type { Workgroups } from './context';

export function linearGrid(threads: number, workgroupSize: number, maxPerDimension = 65535): Workgroups {
  const groups = Math.ceil(threads / workgroupSize);
  if (groups <= maxPerDimension) return [groups, 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
}

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/**
 * Workgroups for a 2-D tiled kernel over an output of `rows` × `cols`, each workgroup covering
 * `tileRows` × `tileCols` of it: x walks the columns, y the rows. Refuses grids the adapter cannot launch.
 */
export function tileGrid(
  kernel: string,
  rows: number,
  cols: number,
  tileRows: number,
  tileCols: number,
  maxPerDimension = 65535,
): Workgroups {
  const x = ceilDiv(cols, tileCols);
  const y = ceilDiv(rows, tileRows);
  if (x > maxPerDimension || y > maxPerDimension) {
    throw new RangeError(
      `${kernel}: output ${rows}×${cols} needs ${y}×${x} tiles of ${tileRows}×${tileCols}, more than ` +
        `${maxPerDimension} workgroups per dimension`,
    );
  }
  return [x, y];
}
