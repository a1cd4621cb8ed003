import type { ReactNode } from 'react';
import type { DeviceLoss, EngineFailure } from '../../worker/protocol';
import { connectEngine } from '../engineBridge';

export type Problem = { kind: 'unavailable'; failure: EngineFailure } | { kind: 'lost'; loss: DeviceLoss };

interface Explanation {
  title: string;
  what: ReactNode;
  steps: ReactNode[];
  detail: string;
}

/** "Chrome 124" from the user agent, for the explanation only: features are detected, never inferred from it. */
export function describeBrowser(userAgent: string): string {
  const match =
    /(Edg|OPR|Firefox|Chrome|Chromium)\/(\d+)/.exec(userAgent) ?? /Version\/(\d+)(?:[.\d]*) Safari/.exec(userAgent);
  if (!match) return 'an unrecognised browser';
  if (match.length === 2) return `Safari ${match[1]}`;
  const names: Record<string, string> = { Edg: 'Edge', OPR: 'Opera' };
  return `${names[match[1]] ?? match[1]} ${match[2]}`;
}

const flag = <code>chrome://flags/#enable-unsafe-webgpu</code>;
const gpuPage = <code>chrome://gpu</code>;

function explain(problem: Problem, browser: string): Explanation {
  if (problem.kind === 'lost') {
    return {
      title: 'The GPU device was lost',
      what: 'The device worked, then went away: the driver reset, the GPU ran out of memory, or the browser restarted its GPU process. Anything running on it has stopped.',
      steps: [
        'Reconnect below to get a fresh device.',
        'If it keeps happening, close other GPU-heavy tabs and apps, and update the graphics driver.',
        <>Check {gpuPage} (paste it into the address bar) for GPU process crashes.</>,
      ],
      detail: `${problem.loss.reason}: ${problem.loss.message}`,
    };
  }
  const { failure } = problem;
  const detail = `${failure.reason}: ${failure.message}`;
  switch (failure.reason) {
    case 'no-webgpu':
      if (!failure.secureContext) {
        return {
          title: 'WebGPU needs a secure page',
          what: `This page was opened over plain HTTP from ${window.location.host}, and browsers only offer WebGPU to https:// pages and to localhost.`,
          steps: [
            <>
              Open the studio at <code>http://localhost:5173</code> on the machine running it (<code>npm start</code>
              ), or serve it over HTTPS.
            </>,
          ],
          detail,
        };
      }
      return {
        title: 'This browser does not offer WebGPU',
        what: `You are using ${browser}, and it exposes no WebGPU API to this page.`,
        steps: [
          'Use a current Chrome or Edge (WebGPU shipped in version 113) and keep it up to date.',
          <>Where WebGPU is still off by default (e.g. Linux), enable {flag} and restart the browser.</>,
          <>Check {gpuPage}: the “WebGPU” line should say “Hardware accelerated”.</>,
        ],
        detail,
      };
    case 'no-adapter':
      return {
        title: 'No GPU adapter was offered',
        what: `${browser} supports WebGPU, but it did not offer this page a GPU. Hardware acceleration may be off, or the GPU or driver may be blocklisted.`,
        steps: [
          'Turn on “Use graphics acceleration when available” in the browser’s system settings, then restart it.',
          'Update the graphics driver.',
          <>Open {gpuPage} and look at the “WebGPU” line and the problems listed there.</>,
          <>If the GPU is blocklisted, enable {flag} and restart the browser.</>,
        ],
        detail,
      };
    case 'device-failed':
      return {
        title: 'The GPU refused to create a device',
        what: 'An adapter was found, but creating a device on it failed, often because the GPU is out of memory or its driver is in a bad state.',
        steps: [
          'Close other GPU-heavy tabs and apps, then try again.',
          'Update the graphics driver.',
          <>Check {gpuPage} for errors.</>,
        ],
        detail,
      };
    case 'worker-failed':
    case 'internal':
      return {
        title: 'The engine could not start',
        what: 'The studio’s background engine failed before it could reach the GPU.',
        steps: ['Reload the page.', 'If it persists, update the browser: the engine needs module workers.'],
        detail,
      };
  }
}

/** Explains why there is no device and what to do about it; never leaves the panel blank. */
export function DeviceProblem({ problem }: { problem: Problem }) {
  const explanation = explain(problem, describeBrowser(navigator.userAgent));
  return (
    <div className="problem" role="alert" aria-labelledby="device-problem-title">
      <h4 id="device-problem-title">{explanation.title}</h4>
      <p>{explanation.what}</p>
      <h5>What to do</h5>
      <ol>
        {explanation.steps.map((step, index) => (
          <li key={index}>{step}</li>
        ))}
      </ol>
      <details>
        <summary>Technical detail</summary>
        <pre className="detail">{explanation.detail}</pre>
      </details>
      <div className="actions">
        <button type="button" className="button" onClick={() => void connectEngine()}>
          {problem.kind === 'lost' ? 'Reconnect' : 'Try again'}
        </button>
      </div>
    </div>
  );
}
