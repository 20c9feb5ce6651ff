import { describeWritebackScenarios } from './writeback-scenarios';

describeWritebackScenarios('distributed', { corp: 'alice', fabrikam: 'carol', corpSpare: 'erin' });
