import type { ShownProblem } from '../../stores/playgroundSlice';

/** A problem shown where it happened: the title says what failed, the message is the engine's or loader's own. */
export function ProblemMessage({ problem, id }: { problem: ShownProblem; id: string }) {
  return (
    <div className="inline-problem" role="alert" aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>{problem.title}</h4>
      <p className="inline-problem-message">{problem.message}</p>
    </div>
  );
}
