#include "synth/vocabulary.hpp"

#include <fmt/format.h>

namespace llmsweep::synth {
namespace {
// llama.cpp's enum llama_token_type.
constexpr int32_t token_normal = 1, token_unknown = 2, token_control = 3, token_byte = 6;
} // namespace

Vocabulary make_vocabulary(int64_t n_vocab, const std::vector<std::string>& special,
                           const std::vector<std::string>& pieces) {
    Vocabulary vocab;
    vocab.tokens.reserve(n_vocab);
    auto add = [&](std::string text, float score, int32_t type) {
        vocab.tokens.push_back(std::move(text));
        vocab.scores.push_back(score);
        vocab.token_types.push_back(type);
    };
    add("<unk>", 0.0f, token_unknown);
    add("<s>", 0.0f, token_control);
    add("</s>", 0.0f, token_control);
    // Byte tokens for ASCII only: a byte above 0x7F alone is not UTF-8, and random weights would stream such bytes
    // in any order, which llama-server's output parser refuses (the request fails). Those 128 tokens are plain
    // text tokens instead ("<0x80>"), so that whatever a synthetic model generates is valid UTF-8.
    for (int byte = 0; byte < 256; ++byte)
        add(fmt::format("<0x{:02X}>", byte), 0.0f, byte < 0x80 ? token_byte : token_normal);
    for (const std::string& token : special) add(token, 0.0f, token_control);
    for (const std::string& piece : pieces) add(piece, 0.0f, token_normal);
    // "\xe2\x96\x81" is SentencePiece's word-start marker U+2581.
    for (int64_t i = 0; static_cast<int64_t>(vocab.tokens.size()) < n_vocab; ++i)
        add(fmt::format("\xe2\x96\x81w{}", i), -static_cast<float>(i), token_normal);
    return vocab;
}

} // namespace llmsweep::synth
