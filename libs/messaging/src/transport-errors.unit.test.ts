import { classifyKafkaError, PublishRefused, TransportUnavailable } from './transport-errors';

const kafkajsError = (name: string, retriable: boolean): Error =>
  Object.assign(new Error(`${name} happened`), { name, retriable });

describe('classifyKafkaError', () => {
  it('classifies brokers out of reach as retriable BUS.UNAVAILABLE, also once kafkajs has spent its own retries', () => {
    for (const failure of [
      kafkajsError('KafkaJSConnectionError', true),
      kafkajsError('KafkaJSNumberOfRetriesExceeded', false),
      kafkajsError('KafkaJSRequestTimeoutError', true),
      kafkajsError('KafkaJSProtocolError', true),
      new Error('socket hang up'),
    ]) {
      const classified = classifyKafkaError(failure);
      expect(classified).toBeInstanceOf(TransportUnavailable);
      expect(classified).toMatchObject({ code: 'BUS.UNAVAILABLE', retriable: true, cause: failure });
    }
  });

  it('classifies a refusal of the messages themselves as not retriable BUS.PUBLISH_REFUSED', () => {
    const tooLarge = kafkajsError('KafkaJSProtocolError', false);
    expect(classifyKafkaError(tooLarge)).toBeInstanceOf(PublishRefused);
    expect(classifyKafkaError(tooLarge)).toMatchObject({ code: 'BUS.PUBLISH_REFUSED', retriable: false });
  });
});
