// Chat templates: each family is recognised from a template in the style its models ship
// (the distinctive Jinja fragments), and renders a system + user + assistant + user
// conversation exactly as that family's documented prompt format spells it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/src/chat/chat_template.h"
#include "lutra/lutra.h"
#include "tests/testing/status_testing.h"

namespace lutra::chat {
namespace {

const std::vector<Message> kConversation = {
    {"system", "Be brief."}, {"user", "Hi!"}, {"assistant", "Hello."}, {"user", "2+2?"}};

std::string RenderOrDie(Format f, const std::vector<Message>& m, bool gen) {
  std::string out, error;
  EXPECT_TRUE(Ok(Render(f, m, gen, &out), &error)) << error;
  return out;
}

struct Case {
  const char* jinja;  // fragments of the family's template
  Format format;
  const char* rendered;  // kConversation with the generation prompt
};

const Case kCases[] = {
    {"{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + content + '\\n<</SYS>>\\n\\n' }}"
     "{% endif %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}",
     Format::kLlama2,
     "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] 2+2? [/INST]"},
    {"{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
     "message['content'] | trim + '<|eot_id|>' %}",
     Format::kLlama3,
     "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
     "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
     "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\n"},
    {"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
     "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}",
     Format::kChatml,
     "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
     "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
     "<|im_start|>assistant\n"},
    {"{% if message['role'] == 'user' %}{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + "
     "'\\n' + '<|assistant|>' + '\\n'}}",
     Format::kPhi3,
     "<|system|>\nBe brief.<|end|>\n<|user|>\nHi!<|end|>\n<|assistant|>\nHello.<|end|>\n"
     "<|user|>\n2+2?<|end|>\n<|assistant|>\n"},
    // Phi-3.5-mini's template (role tags followed by a line break).
    {"{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}"
     "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}",
     Format::kPhi3,
     "<|system|>\nBe brief.<|end|>\n<|user|>\nHi!<|end|>\n<|assistant|>\nHello.<|end|>\n"
     "<|user|>\n2+2?<|end|>\n<|assistant|>\n"},
    // Phi-4-mini's: the same tags, no line breaks.
    {"{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}"
     "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}",
     Format::kPhi4Mini,
     "<|system|>Be brief.<|end|><|user|>Hi!<|end|><|assistant|>Hello.<|end|><|user|>2+2?<|end|>"
     "<|assistant|>"},
    // Phi-4's: ChatML with <|im_sep|> after the role.
    {"{% if (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + "
     "'<|im_end|>'}}{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}",
     Format::kPhi4,
     "<|im_start|>system<|im_sep|>Be brief.<|im_end|><|im_start|>user<|im_sep|>Hi!<|im_end|>"
     "<|im_start|>assistant<|im_sep|>Hello.<|im_end|><|im_start|>user<|im_sep|>2+2?<|im_end|>"
     "<|im_start|>assistant<|im_sep|>"},
    {"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
     "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + "
     "eos_token}}",
     Format::kMistral, "[INST] Be brief.\n\nHi! [/INST] Hello. </s><s>[INST] 2+2? [/INST]"},
    {"{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}",
     Format::kGemma,
     "<start_of_turn>user\nBe brief.\n\nHi!<end_of_turn>\n<start_of_turn>model\nHello."
     "<end_of_turn>\n<start_of_turn>user\n2+2?<end_of_turn>\n<start_of_turn>model\n"},
    {"{% set content = message['role'] | capitalize + ': '+ message['content'] | trim + "
     "'<|eot_id|>' %}{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}",
     Format::kBitnet,
     "System: Be brief.<|eot_id|>User: Hi!<|eot_id|>Assistant: Hello.<|eot_id|>"
     "User: 2+2?<|eot_id|>Assistant: "},
};

TEST(ChatTemplate, DetectsAndRendersEachFamily) {
  for (const Case& c : kCases) {
    const auto detected = Detect(c.jinja);
    ASSERT_TRUE(detected.has_value()) << c.jinja;
    EXPECT_EQ(*detected, c.format) << c.jinja << " detected as " << Name(*detected);
    EXPECT_EQ(RenderOrDie(c.format, kConversation, true), c.rendered) << Name(c.format);
    EXPECT_EQ(FromName(Name(c.format)), c.format);
  }
}

TEST(ChatTemplate, GenerationPromptOnlyWhenAsked) {
  const std::vector<Message> one = {{"user", "Hi!"}};
  EXPECT_EQ(RenderOrDie(Format::kChatml, one, false), "<|im_start|>user\nHi!<|im_end|>\n");
  EXPECT_EQ(RenderOrDie(Format::kChatml, one, true),
            "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(RenderOrDie(Format::kRaw, kConversation, true), "Be brief.\nHi!\nHello.\n2+2?");
}

TEST(ChatTemplate, UnknownTemplatesAndRolesAreErrors) {
  EXPECT_FALSE(Detect("{{ messages[0]['content'] }}").has_value());
  EXPECT_FALSE(FromName("vicuna").has_value());
  std::string out, error;
  EXPECT_FALSE(Ok(Render(Format::kChatml, {{"tool", "x"}}, true, &out), &error));
  EXPECT_EQ(error, "chat message 0: unknown role 'tool' (expected system, user or assistant)");
}

TEST(ChatTemplate, CApiRendersByNameWithTheSizeProtocol) {
  const lutra_chat_message m[] = {{"user", "Hi!"}};
  size_t len = 0;
  char small[4];
  EXPECT_EQ(lutra_chat_apply_template(nullptr, "phi3", m, 1, 1, small, sizeof small, &len),
            LUTRA_STATUS_BUFFER_TOO_SMALL);
  std::string buf(len + 1, '\0');
  ASSERT_EQ(lutra_chat_apply_template(nullptr, "phi-3", m, 1, 1, buf.data(), buf.size(), &len),
            LUTRA_STATUS_OK);
  EXPECT_STREQ(buf.c_str(), "<|user|>\nHi!<|end|>\n<|assistant|>\n");
  EXPECT_EQ(lutra_chat_apply_template(nullptr, "vicuna", m, 1, 1, buf.data(), buf.size(), &len),
            LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("unknown chat template 'vicuna'"),
            std::string::npos);
  EXPECT_EQ(lutra_chat_apply_template(nullptr, nullptr, m, 1, 1, buf.data(), buf.size(), &len),
            LUTRA_STATUS_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace lutra::chat
