/**
 * A drop target for files: highlighted while something is dragged over it, and hands the drop's DataTransfer to
 * `onDrop` (files, or directory entries for a dropped folder). The open buttons and hints go inside as children.
 */
import { type ReactNode, useState } from 'react';

export function DropZone({
  className,
  testId,
  onDrop,
  children,
}: {
  className?: string;
  testId?: string;
  onDrop: (data: DataTransfer) => void;
  children: ReactNode;
}) {
  const [dragging, setDragging] = useState(false);
  return (
    <div
      className={`drop-zone${className ? ` ${className}` : ''}${dragging ? ' dragging' : ''}`}
      data-testid={testId}
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        onDrop(event.dataTransfer);
      }}
    >
      {children}
    </div>
  );
}
