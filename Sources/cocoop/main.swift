import Foundation
import Tensor
import Distributed
import Checkpoint

print("cocoop \(BLASInfo.coreName) \(MPILibrary.version) \(HDF5Library.version)")
