"""Random-weight models small enough to build in a test, with tokenizers trained here on a few sentences.

They say nothing sensible; they exercise the loading, prompting, streaming and batching code of the
local backend exactly as a hub model would, in well under a second, without any download.
"""

from __future__ import annotations

from pathlib import Path

SENTENCES = [
    "I slept well last night and woke up rested.",
    "My headache came back after lunch, worse than yesterday.",
    "The new medication makes me a little dizzy in the morning.",
    "Blood pressure was 120 over 80 before breakfast.",
    "I walked for thirty minutes and felt much better afterwards.",
    "Anxiety kept me awake until three in the morning.",
    "The doctor said my heart rate is normal for my age.",
    "I forgot to take my pills on Tuesday and Wednesday.",
    "Today was a good day: no pain, and I saw my friends.",
    "Feeling tired, sad and a bit hopeless this week.",
    "The nurse checked my temperature and it was fine.",
    "Please remind me to call the pharmacy tomorrow.",
    "System: Be kind and brief.",
    "User: How did I sleep? And today?",
    "Assistant: You slept well.",
]
LABELS = ("negative", "neutral", "positive")
# Plain-text role markers: they reach the model as ordinary tokens, which is all a test needs.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _word_level(special_tokens: list[str]):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=["[UNK]", *special_tokens],
                                                                       show_progress=False))
    return tokenizer


def _byte_level_bpe(special_tokens: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(SENTENCES, trainer)
    return tokenizer


def build_causal_lm(directory: Path, *, chat_template: bool = False) -> Path:
    """A 2-layer GPT-2 (n_embd 32, 1024 positions) and its tokenizer, saved into directory.

    The tokenizer is word-level: whatever the random weights pick is a whole word, so generated text
    has spaces for a streamer to cut at (a byte-level one would produce mostly broken UTF-8)."""
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_word_level(["<|endoftext|>", "<pad>"]),
        unk_token="[UNK]", bos_token="<|endoftext|>", eos_token="<|endoftext|>", pad_token="<pad>",
        model_input_names=["input_ids", "attention_mask"], clean_up_tokenization_spaces=False,
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    return _save_gpt2(tokenizer, directory, n_positions=1024)


def build_byte_level_lm(directory: Path) -> Path:
    """A 2-layer GPT-2 with a byte-level tokenizer: its tokens can split a character's UTF-8 bytes, as
    real models' do, which is what a streamer's decoding must survive."""
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_byte_level_bpe(["<|endoftext|>"]), bos_token="<|endoftext|>", eos_token="<|endoftext|>",
        model_input_names=["input_ids", "attention_mask"],
    )
    return _save_gpt2(tokenizer, directory, n_positions=256)


def _save_gpt2(tokenizer, directory: Path, *, n_positions: int) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=n_positions, n_embd=32, n_layer=2, n_head=2,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = GPT2LMHeadModel(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_classifier(directory: Path) -> Path:
    """A 2-layer RoBERTa sequence classifier (labels negative/neutral/positive, 64 usable positions)."""
    import torch
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification

    bpe = _byte_level_bpe(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.post_processor = processors.RobertaProcessing(
        ("</s>", bpe.token_to_id("</s>")), ("<s>", bpe.token_to_id("<s>")), add_prefix_space=False
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
        pad_token="<pad>", unk_token="<unk>", mask_token="<mask>", model_input_names=["input_ids", "attention_mask"],
    )
    config = RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64 + 2, type_vocab_size=1, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)},
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = RobertaForSequenceClassification(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
