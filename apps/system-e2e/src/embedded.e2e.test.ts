import { describeWritebackScenarios } from './writeback-scenarios';

describeWritebackScenarios('embedded', { corp: 'bob', fabrikam: 'dave', corpSpare: 'frank' });
