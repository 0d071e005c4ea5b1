#pragma once
// A SentencePiece-style ("llama") vocabulary of a given size: <unk>, <s>, </s>, the 256 byte tokens, then
// distinct word pieces (a vision-language model's image markers among them). It is what llama.cpp needs to load the model, report its vocabulary size and add a BOS
// token as real SentencePiece models do; the benchmarks feed random token ids and never tokenize text.

#include <cstdint>
#include <string>
#include <vector>

namespace llmsweep::synth {

struct Vocabulary {
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> token_types; // llama.cpp's llama_token_type values

    static constexpr int32_t unknown_id = 0;
    static constexpr int32_t bos_id = 1;
    static constexpr int32_t eos_id = 2;
};

// `special`: control tokens after the byte tokens (a vision-language model's image markers, which llama.cpp's
// mtmd looks up by their text), and `pieces`: text pieces it looks up too ("\n\n"), before the word pieces.
Vocabulary make_vocabulary(int64_t n_vocab, const std::vector<std::string>& special = {},
                           const std::vector<std::string>& pieces = {});

} // namespace llmsweep::synth
