import { stopLikeCommand } from './stop-like.js';

export const restartCommand = stopLikeCommand('restart', 'Restart one or more containers');
