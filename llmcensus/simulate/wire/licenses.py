"""Heads of the licence texts Ollama library models ship as LICENSE layers (kept short: ≤ ~1 KB each).

Real servers return the whole text (tens of KB); the simulator keeps the first paragraphs, which is
what a fingerprinter keys on (the opening line names the licence).
"""

from __future__ import annotations

LLAMA3 = (
    "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n\nMeta Llama 3 Version Release Date: April 18, 2024\n"
    "“Agreement” means the terms and conditions for use, reproduction, distribution and modification of the "
    "Llama Materials set forth herein.\n\n“Documentation” means the specifications, manuals and documentation "
    "accompanying Meta Llama 3 distributed by Meta at https://llama.meta.com/get-started/.\n\n“Licensee” or “you” "
    "means you, or your employer or any other person or entity (if you are entering into this Agreement on such "
    "person or entity’s behalf), of the age required under applicable laws, rules or regulations to provide legal "
    "consent and that has legal authority to bind your employer or such other person or entity if you are entering "
    "in this Agreement on their behalf.\n"
)
LLAMA31 = (
    "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n\n“Agreement” means the "
    "terms and conditions for use, reproduction, distribution and modification of the Llama Materials set forth "
    "herein.\n\n“Documentation” means the specifications, manuals and documentation accompanying Llama 3.1 "
    "distributed by Meta at https://llama.meta.com/doc/overview.\n"
)
LLAMA32 = (
    "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\nLlama 3.2 Version Release Date: September 25, 2024\n\n“Agreement” means "
    "the terms and conditions for use, reproduction, distribution and modification of the Llama Materials set forth "
    "herein.\n\n“Documentation” means the specifications, manuals and documentation accompanying Llama 3.2 "
    "distributed by Meta at https://www.llama.com/docs/overview.\n"
)
LLAMA33 = (
    "LLAMA 3.3 COMMUNITY LICENSE AGREEMENT\nLlama 3.3 Version Release Date: December 6, 2024\n\n“Agreement” means "
    "the terms and conditions for use, reproduction, distribution and modification of the Llama Materials set forth "
    "herein.\n\n“Documentation” means the specifications, manuals and documentation accompanying Llama 3.3 "
    "distributed by Meta at https://www.llama.com/docs/overview.\n"
)
LLAMA2 = (
    "LLAMA 2 COMMUNITY LICENSE AGREEMENT\t\nLlama 2 Version Release Date: July 18, 2023\n\n\"Agreement\" means the "
    "terms and conditions for use, reproduction, distribution and modification of the Llama Materials set forth "
    "herein.\n\n\"Documentation\" means the specifications, manuals and documentation accompanying Llama 2 "
    "distributed by Meta at ai.meta.com/resources/models-and-libraries/llama-downloads/.\n"
)
APACHE2 = (
    "\n                                 Apache License\n                           Version 2.0, January 2004\n"
    "                        http://www.apache.org/licenses/\n\n   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND "
    "DISTRIBUTION\n\n   1. Definitions.\n\n      \"License\" shall mean the terms and conditions for use, "
    "reproduction,\n      and distribution as defined by Sections 1 through 9 of this document.\n\n      \"Licensor\" "
    "shall mean the copyright owner or entity authorized by\n      the copyright owner that is granting the License.\n"
)
GEMMA = (
    "Gemma Terms of Use \n\nLast modified: February 21, 2024\n\nBy using, reproducing, modifying, distributing, "
    "performing or displaying any portion or element of Gemma, Model Derivatives including via any Hosted Service, "
    "(each as defined below) (collectively, the \"Gemma Services\") or otherwise accepting the terms of this "
    "Agreement, you agree to be bound by this Agreement.\n\nSection 1: DEFINITIONS\n1.1 Definitions\n(a) "
    "\"Agreement\" or \"Gemma Terms of Use\" means these terms and conditions that govern the use, reproduction, "
    "Distribution or modification of the Gemma Services and any terms and conditions incorporated by reference.\n"
)
MIT_MICROSOFT = (
    "Microsoft.\nCopyright (c) Microsoft Corporation.\n\nMIT License\n\nPermission is hereby granted, free of charge, "
    "to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to "
    "deal\nin the Software without restriction, including without limitation the rights\nto use, copy, modify, "
    "merge, publish, distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the "
    "Software is\nfurnished to do so, subject to the following conditions:\n"
)
MIT_DEEPSEEK = (
    "MIT License\n\nCopyright (c) 2023 DeepSeek\n\nPermission is hereby granted, free of charge, to any person "
    "obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the "
    "Software without restriction, including without limitation the rights\nto use, copy, modify, merge, publish, "
    "distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the Software is\n"
    "furnished to do so, subject to the following conditions:\n"
)
QWEN = (
    "Tongyi Qianwen LICENSE AGREEMENT\n\nTongyi Qianwen Release Date: August 3, 2023\n\nBy clicking to agree or by "
    "using or distributing any portion or element of the Tongyi Qianwen Materials, you will be deemed to have "
    "recognized and accepted the content of this Agreement, which is effective immediately.\n\n1. Definitions\n    "
    "a. This Tongyi Qianwen LICENSE AGREEMENT (this \"Agreement\") shall mean the terms and conditions for use, "
    "reproduction, distribution and modification of the Materials as defined by this Agreement.\n"
)
