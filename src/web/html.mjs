// JSX-like templates without a build step: htm's tagged templates, rendered by preact.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
