import type { CommandHandler, EffectHandler } from '@interlend/engine';
import type { IllContext } from '../context';

/**
 * Carries out `startReRequest`: submits a new request with the old one's details, linked to it by
 * `relatedRequestId`, as the old request's borrower. The new request's id comes from the effect
 * (derived from the old id) and the command id from the effect id, so running the effect twice
 * submits once.
 */
export function reRequestEffect(handler: () => CommandHandler, onSubmitted?: (newRequestId: string, relatedRequestId: string) => void): EffectHandler {
  return async (effect, { event, effectId }) => {
    const oldId = String(effect.params.requestId ?? event.streamId);
    const newRequestId = String(effect.params.newRequestId);
    const old = await handler().load(oldId);
    const context = old?.snapshot.context as IllContext | undefined;
    if (!context?.request || !context.borrower) return;
    const result = await handler().handle({
      commandId: `rerequest:${effectId}`,
      streamId: newRequestId,
      type: 'submit',
      data: { ...context.request, relatedRequestId: oldId },
      actor: { id: context.borrower, role: 'borrowing' },
    });
    if (!result.duplicate) onSubmitted?.(newRequestId, oldId);
  };
}
