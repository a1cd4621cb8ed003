import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { connectEngine } from './ui/engineBridge';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('webtune: #root is missing from index.html');

// Outside React, so StrictMode's double effects in development do not start two workers.
void connectEngine();

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
