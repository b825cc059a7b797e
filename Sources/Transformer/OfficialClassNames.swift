// OfficialClassNames: which transformers get the ImageNet-1k names (ImageNetClasses.swift).

extension ImageNetClasses {
    /// The ImageNet names for an official-layout vocabulary of 1000 classes without a null class
    /// (the official 256 and 512 checkpoints, which carry no names); nil for any other layout.
    public static func officialNames(for vocabulary: Vocabulary) -> [String]? {
        guard vocabulary.numClasses == names.count, vocabulary.nullClassID == nil,
              vocabulary.classOffset == vocabulary.codebookSize else { return nil }
        return names
    }
}
