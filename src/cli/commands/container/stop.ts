import { stopLikeCommand } from './stop-like.js';

export const stopCommand = stopLikeCommand('stop', 'Stop one or more running containers');
