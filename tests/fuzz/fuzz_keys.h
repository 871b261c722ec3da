/* Fixed CA keys for the signer-check harness (test only, never used by
 * Troth): the same CA every run, so the seed corpus's TBS structures pass
 * the issuer, algorithm and key-identifier checks and reach the rules
 * behind them. */
#ifndef TROTH_FUZZ_KEYS_H
#define TROTH_FUZZ_KEYS_H
static const char FUZZ_ROOT_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAjMwCwrQA5IONB49J5\n"
    "/cFYFpm+mpp7WIpGUCoCYRM8BbZcSiHDtA1IpFFJmeRu6kShZANiAARo1bysNlrd\n"
    "1V468WgU2A4Qp+CkuOFY8Hsb4fSd5cQeiHf+GjPrhXUrgiZWg7gpugg4L70lnrMO\n"
    "12YDjEMr82nAPtjNnxGuwae9oExqTx041X/j21Rbxb8w2a6BJubpOcQ=\n"
    "-----END PRIVATE KEY-----\n";
static const char FUZZ_ISSUING_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNqukUApjwDv4wtCC\n"
    "DCgjYMOE84u1tPp9DdD2SUbNFL6hRANCAAQElR3kwPHTnm6cOz41ii136NHRNHpm\n"
    "PuG8A8ptQFn3ntTEexaTEo7qfOfEopQ63G6C8k5Oe6P+DqK9knZDPsJp\n"
    "-----END PRIVATE KEY-----\n";
#endif
